// Runs the graphql-http server audit (the GraphQL over HTTP spec's reference suite) against the URL
// given, and prints each audit's id, name, status (ok / warn / error) and reason as JSON.
import { auditServer } from "graphql-http";

const results = await auditServer({ url: process.argv[2] });
console.log(JSON.stringify(results.map((r) => ({ id: r.id, name: r.name, status: r.status, reason: r.reason }))));
