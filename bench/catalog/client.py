"""The catalog benchmark's HTTP side that is not wrk: choosing the product, checking
every request once before it is timed, and the staff writer of the live-sale scenario.
Standard library only (http.client with keep-alive), so run.sh needs nothing but python3.

  python3 client.py pick-product URL
      the slug of the first demo product with the number of variants nearest 10
  python3 client.py prepare URL UNCACHED_URL SLUG DIR
      checks each request once on both servers (no errors, same data; the APQ hash is
      unknown, then registered, then answered over GET), and writes the wrk inputs to DIR
  python3 client.py write URL EMAIL PASSWORD DIR SECONDS RATE WRITERS
      changes the stock of the listing's variants (DIR/listing-variants.json) RATE times a
      second for SECONDS, staff-signed in, with inventoryAdjust; touches DIR/writer.ready
      once signed in, and prints what it did
"""

import hashlib
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
LISTING = open(os.path.join(HERE, "listing.graphql")).read()
PRODUCT = open(os.path.join(HERE, "product.graphql")).read()


class Client:
    """One keep-alive connection to a server's /graphql."""

    def __init__(self, url, token=None):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.netloc = u.netloc
        self.token = token
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method, path, body=None, headers=None):
        """Status, headers and body of one request; reconnects once if the server closed."""
        headers = dict(headers or {})
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                return r.status, r, r.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt == 2:
                    raise

    def graphql(self, query, variables=None, **extra):
        """The data of one POSTed operation; any error or non-200 answer stops the run."""
        body = {"query": query, "variables": variables or {}, **extra}
        status, _, raw = self.request("POST", "/graphql", body)
        return answer(status, raw, "POST " + first_line(query))


def first_line(query):
    return query.strip().splitlines()[0][:60]


def answer(status, raw, what):
    if not 200 <= status < 300:
        sys.exit(f"{what}: HTTP {status}: {raw[:300]!r}")
    doc = json.loads(raw)
    if doc.get("errors"):
        sys.exit(f"{what}: errors: {json.dumps(doc['errors'])[:500]}")
    return doc["data"]


def pick_product(url):
    data = Client(url).graphql("{ products(first: 100) { edges { node { slug variants { id } } } } }")
    nodes = [e["node"] for e in data["products"]["edges"]]
    best = min(nodes, key=lambda n: abs(len(n["variants"]) - 10))
    print(best["slug"])


def wrk_post_script(path, query, operation, variables=None):
    body = json.dumps({"query": query, "operationName": operation, "variables": variables or {}})
    with open(path, "w") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        f.write("wrk.body = %s\n" % json.dumps(body))


def prepare(url, uncached_url, slug, out):
    cached, uncached = Client(url), Client(uncached_url)

    def post_twice(client, query, operation, variables, label):
        """The data, bytes and the second answer's x-cache of one operation sent twice."""
        body = {"query": query, "operationName": operation, "variables": variables}
        for _ in range(2):
            status, r, raw = client.request("POST", "/graphql", body)
            data = answer(status, raw, label)
        return data, len(raw), r.getheader("x-cache")

    status, _, raw = cached.request("GET", "/healthz")
    if status != 200:
        sys.exit(f"/healthz: HTTP {status}")

    listing, size, hit = post_twice(cached, LISTING, "Listing", {}, "listing")
    listing_u, _, _ = post_twice(uncached, LISTING, "Listing", {}, "listing (uncached)")
    if listing_u != listing:
        sys.exit("the uncached server answers the listing differently from the cached one")
    edges = listing["products"]["edges"]
    variants = [v["id"] for e in edges for v in e["node"]["variants"]]
    print(f"   listing: {len(edges)} products, {len(variants)} variants, {size} bytes; second answer x-cache: {hit}")
    with open(os.path.join(out, "listing-variants.json"), "w") as f:
        json.dump(variants, f)

    product, size, hit = post_twice(cached, PRODUCT, "Product", {"slug": slug}, "product")
    product_u, _, _ = post_twice(uncached, PRODUCT, "Product", {"slug": slug}, "product (uncached)")
    if product["product"] is None:
        sys.exit(f"product {slug!r} not found")
    # Image URLs are absolute, built from the request's Host: the ports differ. (Compared
    # as objects: the order of fields in an answer is not always the query's.)
    if json.loads(json.dumps(product_u).replace(uncached.netloc, cached.netloc)) != product:
        sys.exit("the uncached server answers the product differently from the cached one")
    print(f"   product {slug}: {len(product['product']['variants'])} variants, {size} bytes; second answer x-cache: {hit}")

    # APQ as a client does it: the hash alone, PersistedQueryNotFound, the document with
    # its hash once (POST), then the hash alone over GET is answered.
    digest = hashlib.sha256(LISTING.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    path = "/graphql?" + urllib.parse.urlencode(
        {"operationName": "Listing", "extensions": json.dumps(extensions, separators=(",", ":"))})
    status, _, raw = cached.request("GET", path)
    codes = [e.get("extensions", {}).get("code") for e in json.loads(raw).get("errors", [])]
    if codes != ["PERSISTED_QUERY_NOT_FOUND"]:
        sys.exit(f"APQ: an unregistered hash should get PersistedQueryNotFound, got HTTP {status}: {raw[:300]!r}")
    cached.graphql(LISTING, {}, operationName="Listing", extensions=extensions)
    for _ in range(2):
        status, r, raw = cached.request("GET", path)
        data = answer(status, raw, "APQ GET")
    if data != listing:
        sys.exit("the APQ GET answers differently from the POSTed listing")
    print(f"   APQ GET: {len(raw)} bytes, {len(path)}-character URL; second answer x-cache: {r.getheader('x-cache')}, "
          f"Cache-Control: {r.getheader('cache-control')}")

    wrk_post_script(os.path.join(out, "listing.lua"), LISTING, "Listing")
    wrk_post_script(os.path.join(out, "product.lua"), PRODUCT, "Product", {"slug": slug})
    with open(os.path.join(out, "apq.path"), "w") as f:
        f.write(path)


ADJUST = """mutation Adjust($input: InventoryAdjustInput!) {
  inventoryAdjust(input: $input) { stockLevel { version } userErrors { code message currentVersion } }
}"""


def write(url, email, password, out, seconds, rate, writers):
    """WRITERS threads, each with its own connection and its own share of the variants
    (so they never conflict with each other), each paced to RATE / WRITERS changes a
    second on a fixed schedule. A variant moves +1, -1, +1, ... so stock stays put."""
    staff = Client(url)
    data = staff.graphql(
        "mutation SignIn($e: String!, $p: String!) { tokenCreate(email: $e, password: $p) { accessToken userErrors { message } } }",
        {"e": email, "p": password})
    token = data["tokenCreate"]["accessToken"]
    if not token:
        sys.exit(f"sign-in refused: {data}")
    staff.token = token
    ids = json.load(open(os.path.join(out, "listing-variants.json")))
    default_location = staff.graphql("{ stockLocations { id } }")["stockLocations"][0]["id"]
    nodes = []
    for i in range(0, len(ids), 100):  # nodes() takes at most 100 ids
        nodes += staff.graphql(
            "query Levels($ids: [ID!]!) { nodes(ids: $ids) { ... on Variant { id stockLevels { location { id } version } } } }",
            {"ids": ids[i:i + 100]})["nodes"]
    levels = []  # [variant, location, version, next delta]
    for node in nodes:
        first = (node["stockLevels"] or [{"location": {"id": default_location}, "version": 0}])[0]
        levels.append([node["id"], first["location"]["id"], first["version"], 1])

    lock = threading.Lock()
    done, failed, latencies, first_errors = [0], [0], [], []

    def writer(share, start, interval, end):
        client = Client(url, token)
        i = 0
        while True:
            due = start + i * interval
            if due >= end:
                return
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            level = share[i % len(share)]
            i += 1
            t0 = time.monotonic()
            error = None
            try:
                status, _, raw = client.request("POST", "/graphql", {"query": ADJUST, "variables": {"input": {
                    "variantId": level[0], "locationId": level[1], "delta": level[3], "expectedVersion": level[2]}}})
                doc = json.loads(raw) if status == 200 else {}
                payload = (doc.get("data") or {}).get("inventoryAdjust") or {}
                if status != 200 or doc.get("errors"):
                    error = f"HTTP {status}: {raw[:200]!r}"
                elif payload.get("userErrors"):
                    ue = payload["userErrors"][0]
                    error = f"{ue['code']}: {ue['message']}"
                    if ue.get("currentVersion") is not None:
                        level[2] = ue["currentVersion"]
                else:
                    level[2] = payload["stockLevel"]["version"]
                    level[3] = -level[3]
            except Exception as e:  # a dropped connection counts as a failed write
                error = repr(e)
            with lock:
                latencies.append(time.monotonic() - t0)
                if error:
                    failed[0] += 1
                    if len(first_errors) < 3:
                        first_errors.append(error)
                else:
                    done[0] += 1

    shares = [levels[w::writers] for w in range(writers) if levels[w::writers]]
    open(os.path.join(out, "writer.ready"), "w").close()
    start = time.monotonic()
    cpu0 = os.times()
    threads = [threading.Thread(target=writer, args=(share, start + w / rate, len(shares) / rate, start + seconds))
               for w, share in enumerate(shares)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    cpu = sum(os.times()[:2]) - sum(cpu0[:2])
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else 0
    achieved = (done[0] + failed[0]) / elapsed
    print(f"   writer: {done[0]} stock changes over {len(levels)} variants in {elapsed:.1f} s "
          f"({achieved:.0f}/s, target {rate:g}/s), {failed[0]} failed; p50 {pct(0.5):.1f} ms  p99 {pct(0.99):.1f} ms; "
          f"its own CPU {cpu / max(done[0] + failed[0], 1) * 1e3:.1f} ms per change"
          + ("  BELOW TARGET" if achieved < 0.9 * rate else ""))
    for e in first_errors:
        print(f"   writer error: {e}")
    with open(os.path.join(out, "writer.json"), "w") as f:
        json.dump({"done": done[0], "failed": failed[0], "per_sec": achieved}, f)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "pick-product":
        pick_product(*args)
    elif command == "prepare":
        prepare(*args)
    elif command == "write":
        url, email, password, out, seconds, rate, writers = args
        write(url, email, password, out, float(seconds), float(rate), int(writers))
    else:
        sys.exit(f"unknown command {command}")
