package dk.arbejdspligt.tests.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;

/**
 * The list of dynamic configuration properties, which Apicurio's Quarkus
 * extension (config-index, whose build-time part is not on Maven Central)
 * would have produced: empty, so no property is changeable at run time.
 */
@ApplicationScoped
public class NoDynamicConfig {
    @Produces
    @ApplicationScoped
    DynamicConfigPropertyList properties() {
        return new DynamicConfigPropertyList(java.util.List.of());
    }
}
