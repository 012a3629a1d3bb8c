/* Grows topics to N partitions (librdkafka's CreatePartitions), for the test
 * that the processor stops when its input topics gain partitions. The
 * project's tools deliberately have no such command: adding partitions to
 * the input topics needs a replay into a fresh namespace (README).
 *   add_partitions BROKERS N TOPIC...   exit 0 if every topic now has N */
#include <stdio.h>
#include <stdlib.h>

#include <librdkafka/rdkafka.h>

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: add_partitions BROKERS N TOPIC...\n"); return 2; }
    char err[512];
    int n = atoi(argv[2]), rc = 1;
    size_t cnt = (size_t)argc - 3;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err) != RD_KAFKA_CONF_OK) return 1;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) { fprintf(stderr, "add_partitions: %s\n", err); return 1; }
    rd_kafka_NewPartitions_t **np = calloc(cnt, sizeof *np);
    if (!np) abort();
    for (size_t i = 0; i < cnt; i++) np[i] = rd_kafka_NewPartitions_new(argv[3 + i], (size_t)n, err, sizeof err);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreatePartitions(rk, np, cnt, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    if (ev && !rd_kafka_event_error(ev)) {
        size_t got;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &got);
        rc = got == cnt ? 0 : 1;
        for (size_t i = 0; i < got; i++)
            if (rd_kafka_topic_result_error(res[i])) {
                fprintf(stderr, "add_partitions: %s: %s\n", rd_kafka_topic_result_name(res[i]),
                        rd_kafka_topic_result_error_string(res[i]));
                rc = 1;
            }
    } else {
        fprintf(stderr, "add_partitions: %s\n", ev ? rd_kafka_event_error_string(ev) : "no answer");
    }
    if (ev) rd_kafka_event_destroy(ev);
    for (size_t i = 0; i < cnt; i++) rd_kafka_NewPartitions_destroy(np[i]);
    free(np);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}
