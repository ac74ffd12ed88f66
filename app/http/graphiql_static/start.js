// GraphiQL for this service: strawberry's page, with its script moved out of the HTML so
// that the Content-Security-Policy can refuse inline scripts, and without what the API does
// not use (a CSRF cookie).
"use strict";

const WELCOME = `# The discount service's API.
#
# Paste a token into the Headers tab below (scripts/serve prints two):
#   {"Authorization": "Bearer <token>"}
# then run this query with Ctrl-Enter or the play button.
{
  coupons(first: 5) {
    totalCount
    nodes { name site { name currency } }
  }
}
`;

// ?q=...&variables=...&headers=... opens a shared query (and is kept in step with the editors).
const parameters = Object.fromEntries(new URLSearchParams(window.location.search));

function updateURL(changes) {
  Object.assign(parameters, changes);
  const kept = Object.entries(parameters).filter(([, value]) => Boolean(value));
  history.replaceState(null, "", "?" + new URLSearchParams(kept).toString());
}

const url = window.location.href.split("?")[0];
// Subscriptions go over WebSocket to the same path (graphql-transport-ws): GraphiQL's bundle
// carries the graphql-ws client, and sends the Headers tab as the connection_init payload,
// so the token pasted there signs the connection in as it signs in HTTP requests.
const fetcher = GraphiQL.createFetcher({
  url,
  subscriptionUrl: url.replace(/^http/, "ws"),
});

function DiscountsGraphiQL() {
  const [query, setQuery] = React.useState(parameters.q || WELCOME);
  const [variables, setVariables] = React.useState(parameters.variables);
  const [headers, setHeaders] = React.useState(parameters.headers);
  return React.createElement(GraphiQL, {
    fetcher,
    defaultEditorToolsVisibility: true,
    plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    query,
    variables,
    headers,
    onEditQuery(value) {
      setQuery(value);
      updateURL({ q: value });
    },
    onEditVariables(value) {
      setVariables(value);
      updateURL({ variables: value });
    },
    onEditHeaders: setHeaders,
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
  });
}

ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(DiscountsGraphiQL),
);
