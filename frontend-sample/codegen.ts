import type { CodegenConfig } from '@graphql-codegen/cli';

// Every operation in src/ is validated against the server's contract and typed.
// An operation that does not validate makes codegen (and so `npm run build`) fail.
const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: { DateTime: 'string', Date: 'string' },
        avoidOptionals: { field: true, inputValue: false, object: true },
      },
    },
  },
};
export default config;
