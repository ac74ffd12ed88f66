// Runs graphql-http's server audit against a live endpoint and prints the results as JSON.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql   (tests/http/test_audit.py runs it)
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}

const results = await auditServer({ url });
const report = results.map((result) => ({
  id: result.id,
  name: result.name,
  status: result.status,
  reason: result.status === 'ok' ? null : result.reason,
}));
process.stdout.write(JSON.stringify(report));
