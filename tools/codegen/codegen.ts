// graphql-codegen's client preset over the committed schema and the example operations:
// what a TypeScript client of the service generates. scripts/check-codegen runs it, then tsc.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["../../examples/operations/*.graphql"],
  errorsOnInvalidDocuments: true,
  generates: {
    "generated/": {
      preset: "client",
      config: {
        // The wire forms of the custom scalars (schema.graphql's descriptions, @specifiedBy):
        // every one is a string on the wire; Decimal may also be sent as a JSON number.
        scalars: {
          DateTime: "string",
          Date: "string",
          DateOrDateTime: "string",
          Decimal: { input: "string | number", output: "string" },
          UUID: "string",
          // Output only: a change event's object, a JSON object (docs/events.md).
          EventPayload: { input: "never", output: "Record<string, unknown>" },
        },
        strictScalars: true,
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
