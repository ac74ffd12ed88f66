"""The record types of the API. `app.graphql.schema` imports every one (which registers it
for `node(id:)`); this package itself imports none, so that importing one of its modules
(`base`, say) does not import them all."""
