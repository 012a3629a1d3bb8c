#!/usr/bin/env python3
"""Publisher kit, Python: arbejdspligt input events to Kafka.

Reads JSON lines (the format of `apctl produce` and deploy/demo/*.jsonl: the
record's fields by name, "schema" naming the record type) and publishes each
event to one topic the way the processor requires (README "Publishing"):

* Avro **single-object encoding**: C3 01, the CRC-64-AVRO fingerprint of the
  schema's Parsing Canonical Form (8 bytes, little-endian: the order fastavro
  prints it in), then the Avro binary body (fastavro's schemaless writer);
* keyed by citizen_id;
* partitioned by murmur2 of the key, like the Java client: librdkafka's
  default (consistent_random, CRC32) would put the key on another partition,
  so the producer sets partitioner=murmur2_random.

    publish.py --brokers HOST:PORT --topic ap.hours deploy/demo/hours.jsonl
    publish.py --hex --topic ap.hours hours.jsonl   # "key hex" per record; no Kafka

The brokers default to $AP_KAFKA_BROKERS. Exit status 0 when the broker
acknowledged every record (acks=all, idempotent), 1 otherwise.
"""
import argparse
import datetime
import io
import json
import os
import sys
from pathlib import Path

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form

# The current schemas, the ones the processor compiles in.
SCHEMAS = Path(__file__).resolve().parent.parent.parent / "schemas"
# The input events a publisher writes (ticks come from ap-ticker or apctl tick).
INPUT_SCHEMAS = ("PlacementEvent", "HoursEvent", "ExemptionEvent", "ReductionEvent", "CoverageEvent", "SanctionEvent")


class SingleObjectWriter:
    """Encodes records of one schema in Avro single-object encoding."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.schema = fastavro.parse_schema(json.load(f))
        # fastavro gives the fingerprint as the hex of its 8 bytes in wire
        # order (little-endian); `apctl fingerprints` prints both orders.
        fp = fingerprint(to_parsing_canonical_form(self.schema), "CRC-64-AVRO")
        self.header = b"\xc3\x01" + bytes.fromhex(fp)

    def encode(self, record):
        out = io.BytesIO()
        out.write(self.header)
        fastavro.schemaless_writer(out, self.schema, record)
        return out.getvalue()


def from_json(schema, value, where):
    """The Python value fastavro writes for a JSON value of `schema`: dates as
    datetime.date, timestamps as aware datetimes, enums by symbol, optional
    fields None or absent (then the schema's default). A field the schema lacks
    is an error, as in apctl: a misspelt optional field must not vanish."""
    if isinstance(schema, list):  # the input schemas' unions are ["null", T]
        if value is None:
            if "null" not in schema:
                raise ValueError(f"{where}: may not be null")
            return None
        branch = next(b for b in schema if b != "null")
        return from_json(branch, value, where)
    if value is None:
        raise ValueError(f"{where}: may not be null")
    if isinstance(schema, str):
        return value
    kind, logical = schema["type"], schema.get("logicalType")
    if logical == "date":
        return datetime.date.fromisoformat(value)
    if logical == "timestamp-millis":
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if kind == "record":
        if not isinstance(value, dict):
            raise ValueError(f"{where}: expected an object")
        names = {f["name"] for f in schema["fields"]}
        unknown = sorted(set(value) - names - {"schema"})
        if unknown:
            raise ValueError(f'{schema["name"]} has no field "{unknown[0]}"')
        out = {}
        for f in schema["fields"]:
            if f["name"] in value:
                out[f["name"]] = from_json(f["type"], value[f["name"]], f["name"])
            elif "default" in f:
                out[f["name"]] = f["default"]
            else:
                raise ValueError(f'{f["name"]}: required')
        return out
    if kind == "array":
        return [from_json(schema["items"], v, where + "[]") for v in value]
    if kind == "enum" and value not in schema["symbols"]:
        raise ValueError(f"{where}: no symbol {value}")
    if kind in ("string", "enum", "int", "long", "boolean"):
        return value
    if isinstance(kind, (dict, list)):
        return from_json(kind, value, where)
    raise ValueError(f"{where}: type {kind} not supported")


def encode_lines(lines, writers):
    """Yields (key, value) per non-blank line; raises ValueError naming the line."""
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            writer = writers.get(doc.get("schema"))
            if writer is None:
                raise ValueError(f'unknown or missing schema "{doc.get("schema")}"')
            record = from_json(writer.schema, doc, writer.schema["name"])
            yield record["citizen_id"], writer.encode(record)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ValueError(f"line {lineno}: {e}") from e


def produce(brokers, topic, records):
    """Sends every record and waits for the broker; returns the exit status."""
    from confluent_kafka import Producer

    producer = Producer({
        "bootstrap.servers": brokers,
        # The partition the processor checks: (murmur2(key) & 0x7fffffff) % N,
        # as the Java client's default. librdkafka's own default differs.
        "partitioner": "murmur2_random",
        # Nothing lost, nothing twice, order kept per partition.
        "acks": "all",
        "enable.idempotence": True,
    })
    failed, last_error, sent = 0, "", 0

    def delivered(err, _msg):
        nonlocal failed, last_error
        if err is not None:
            failed += 1
            last_error = str(err)

    for key, value in records:
        while True:
            try:
                producer.produce(topic, key=key.encode("utf-8"), value=value, on_delivery=delivered)
                break
            except BufferError:  # local queue full: serve deliveries, then retry
                producer.poll(0.1)
        sent += 1
        producer.poll(0)
    left = producer.flush(60)
    if failed or left:
        print(f"publish: {sent} sent, {failed} failed, {left} undelivered: {last_error}", file=sys.stderr)
        return 1
    print(f"publish: {sent} records delivered", file=sys.stderr)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--brokers", default=os.environ.get("AP_KAFKA_BROKERS"))
    ap.add_argument("--topic", required=True)
    ap.add_argument("--hex", action="store_true", help='print "key hex" per record instead of publishing')
    ap.add_argument("--schemas", type=Path, default=SCHEMAS, help="directory of the .avsc files")
    ap.add_argument("files", nargs="*", help="JSON lines (stdin without files)")
    args = ap.parse_args(argv)
    if not args.hex and not args.brokers:
        ap.error("--brokers or AP_KAFKA_BROKERS is needed")

    writers = {n: SingleObjectWriter(args.schemas / f"{n}.avsc") for n in INPUT_SCHEMAS}
    lines = []
    if not args.files:
        lines = sys.stdin.read().splitlines()
    for path in args.files:
        with open(path, encoding="utf-8") as f:
            lines.extend(f.read().splitlines())
    try:
        records = list(encode_lines(lines, writers))
    except ValueError as e:
        print(f"publish: {e}", file=sys.stderr)
        return 1
    if args.hex:
        for key, value in records:
            print(key, value.hex())
        return 0
    return produce(args.brokers, args.topic, records)


if __name__ == "__main__":
    sys.exit(main())
