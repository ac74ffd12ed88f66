"""The GraphQL API: schema, context, loaders, types, queries and mutations."""
