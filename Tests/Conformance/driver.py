#!/usr/bin/env python3
"""Runs the Autobahn|Testsuite client cases through wsgate's HTTP API, as a user would.

For each case it opens ws://SERVER/runCase?case=i&agent=AGENT with POST /connections, reads the
case's messages from GET /connections/<id>/events, echoes every Text and Binary message back with
POST /connections/<id>/send in the same type and bytes, and moves on when the stream ends. Then it
asks the fuzzing server to update its reports and prints the verdicts by case group.

Exit status: 0 when every verdict is OK, NON-STRICT or INFORMATIONAL; 1 otherwise.
Standard library only.
"""
import argparse
import base64
import collections
import http.client
import json
import sys
import time

PASSING = {"OK", "NON-STRICT", "INFORMATIONAL"}


class Gateway:
    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)

    def open(self, url, config):
        conn = self.connection()
        conn.request("POST", "/connections", json.dumps({"url": url, "config": config}),
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        body = json.loads(response.read() or b"null")
        conn.close()
        if response.status != 201:
            raise RuntimeError(f"POST /connections {url}: {response.status} {body}")
        return body["id"]

    def events(self, connection_id):
        """Yields the parsed `data` of every event until the stream ends."""
        conn = self.connection()
        conn.request("GET", f"/connections/{connection_id}/events?binary=base64")
        response = conn.getresponse()
        if response.status == 204:
            return
        if response.status != 200:
            raise RuntimeError(f"GET events: {response.status} {response.read()!r}")
        data = None
        try:
            while True:
                line = response.readline()
                if not line:
                    return
                line = line.rstrip(b"\r\n")
                if line.startswith(b"data: "):
                    data = json.loads(line[6:])
                elif line == b"" and data is not None:
                    yield data
                    data = None
        finally:
            conn.close()


def echo(sender, connection_id, event):
    """Sends a Text or Binary event back as it came; other events need no answer."""
    if not isinstance(event, dict) or event.get("type") not in ("Text", "Binary"):
        return
    if event["type"] == "Text":
        body, content_type = json.dumps(event).encode(), "application/json"
    else:
        body, content_type = base64.b64decode(event["data"]), "application/octet-stream"
    sender.request("POST", f"/connections/{connection_id}/send", body, {"Content-Type": content_type})
    response = sender.getresponse()
    response.read()
    # 409 is expected when the server closed first (its Close may overtake our echo).
    if response.status not in (204, 409):
        raise RuntimeError(f"send answered {response.status}")


def run_case(gateway, server, agent, case, config):
    connection_id = gateway.open(f"{server}/runCase?case={case}&agent={agent}", config)
    sender = gateway.connection()
    try:
        for event in gateway.events(connection_id):
            echo(sender, connection_id, event)
    finally:
        sender.close()


def case_count(gateway, server, config):
    connection_id = gateway.open(f"{server}/getCaseCount", config)
    for event in gateway.events(connection_id):
        if isinstance(event, dict) and event.get("type") == "Text":
            return int(event["data"])
    raise RuntimeError("the fuzzing server sent no case count")


def update_reports(gateway, server, agent, config):
    connection_id = gateway.open(f"{server}/updateReports?agent={agent}", config)
    for _ in gateway.events(connection_id):
        pass


def summarize(report, agent):
    with open(report, encoding="utf-8") as file:
        verdicts = json.load(file)[agent]
    groups = collections.defaultdict(collections.Counter)
    failures = []
    for case, result in verdicts.items():
        behavior = result["behavior"]
        groups[case.split(".")[0]][behavior] += 1
        if behavior not in PASSING:
            failures.append((case, behavior))
    behaviors = ["OK", "NON-STRICT", "INFORMATIONAL", "FAILED", "UNIMPLEMENTED", "WRONG CODE"]
    seen = sorted({b for counter in groups.values() for b in counter} - set(behaviors))
    columns = behaviors + seen
    print(f"\n{'group':>6} " + " ".join(f"{c:>13}" for c in columns))
    totals = collections.Counter()
    for group in sorted(groups, key=int):
        totals.update(groups[group])
        print(f"{group:>6} " + " ".join(f"{groups[group][c]:>13}" for c in columns))
    print(f"{'all':>6} " + " ".join(f"{totals[c]:>13}" for c in columns))
    if failures:
        print("\nnot passing: " + ", ".join(f"{case} {behavior}" for case, behavior in
                                           sorted(failures, key=lambda f: [int(p) for p in f[0].split(".")])))
    passed = sum(totals[b] for b in PASSING)
    print(f"\n{passed} passed, {len(verdicts) - passed} failed")
    return not failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway-port", type=int, default=8787)
    parser.add_argument("--server", default="ws://127.0.0.1:9001")
    parser.add_argument("--agent", default="wsgate")
    parser.add_argument("--report", required=True, help="the fuzzing server's index.json")
    parser.add_argument("--compression", action="store_true", help="ask for permessage-deflate")
    parser.add_argument("--case-timeout", type=float, default=60)
    args = parser.parse_args()

    gateway = Gateway(args.gateway_port, args.case_timeout)
    config = {"maxMessageSize": "none", "maxFrameSize": "none"}
    if args.compression:
        config["compression"] = True
    count = case_count(gateway, args.server, config)
    print(f"{count} cases", flush=True)
    start = time.monotonic()
    for case in range(1, count + 1):
        try:
            run_case(gateway, args.server, args.agent, case, config)
        except Exception as error:  # a case that breaks the driver still gets its verdict
            print(f"case {case}: {error}", flush=True)
        if case % 50 == 0:
            print(f"  {case}/{count} cases ({time.monotonic() - start:.0f} s)", flush=True)
    update_reports(gateway, args.server, args.agent, config)
    print(f"ran {count} cases in {time.monotonic() - start:.0f} s")
    sys.exit(0 if summarize(args.report, args.agent) else 1)


if __name__ == "__main__":
    main()
