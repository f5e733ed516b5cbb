import type { CodegenConfig } from "@graphql-codegen/cli";

// Every operation in src/ is validated against the one contract, ../schema.graphql:
// an operation that does not validate fails `npm run codegen` (and so build and CI).
const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: "string",
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: { DateTime: "string", Date: "string" },
      },
    },
  },
  hooks: {},
};

export default config;
