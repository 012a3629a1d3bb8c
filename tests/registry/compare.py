"""A standard consumer reads registry-framed records through the registry.

confluent-kafka's Consumer with its AvroDeserializer and SchemaRegistryClient
(what Kafka Connect's and ksqlDB's Python cousins do) reads every record of
TOPIC, and the records, as JSON after normalisation, must equal those of
EXPECTED (what `apctl consume` printed for the same records in the default
single-object framing), field by field.

    compare.py --brokers B --registry URL --topic T --expected FILE.jsonl [--group G]

Normalisation: dates as YYYY-MM-DD, UUIDs as text, timestamps as epoch milliseconds (apctl
prints RFC 3339, fastavro gives datetimes), bytes as hex (as apctl prints
them), and apctl's leading "schema" member (the record type) left out.
Prints one line per difference and exits 1 if there is any.
"""
import argparse
import datetime
import json
import re
import sys
import time
import uuid

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def norm(v):
    """The comparable form of a value from either side."""
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, datetime.datetime):
        return int(round(v.timestamp() * 1000))
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, uuid.UUID):  # logicalType uuid
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, str) and RFC3339.match(v):
        return int(round(datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1000))
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--registry", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--group", default="registry-compare")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()

    expected = []
    with open(a.expected, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            rec.pop("schema", None)
            expected.append(norm(rec))

    registry = SchemaRegistryClient({"url": a.registry})
    deserializer = AvroDeserializer(registry)  # the writer schema comes from each record's id
    consumer = Consumer({"bootstrap.servers": a.brokers, "group.id": a.group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe([a.topic])
    got, ids = [], set()
    deadline = time.monotonic() + a.timeout
    while len(got) < len(expected) and time.monotonic() < deadline:
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error():
            print(f"consumer error: {m.error()}", file=sys.stderr)
            continue
        value = m.value()
        if value[:1] != b"\x00":
            print(f"record at {m.partition()}:{m.offset()} is not registry-framed", file=sys.stderr)
            return 1
        ids.add(int.from_bytes(value[1:5], "big"))
        rec = deserializer(value, SerializationContext(a.topic, MessageField.VALUE))
        got.append(norm(rec))
    consumer.close()

    key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
    want, have = sorted(expected, key=key), sorted(got, key=key)
    diffs = 0
    if len(want) != len(have):
        print(f"{a.topic}: {len(have)} records read, {len(want)} expected")
        diffs += 1
    for w, h in zip(want, have):
        for field in sorted(set(w) | set(h)):
            if w.get(field, "<absent>") != h.get(field, "<absent>"):
                diffs += 1
                if diffs <= 10:
                    print(f"{a.topic} {w.get('event_id')}: {field}: expected {w.get(field, '<absent>')!r}, "
                          f"read {h.get(field, '<absent>')!r}")
    print(f"{a.topic}: {len(have)} records through the registry (schema ids {sorted(ids)}), {diffs} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
