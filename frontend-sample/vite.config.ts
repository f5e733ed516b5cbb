/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1' },
  build: {
    target: 'es2022',
    sourcemap: false,
    // `npm run measure` splits third-party code by package to say what dominates.
    rollupOptions: process.env.MEASURE_CHUNKS
      ? {
          output: {
            manualChunks(id: string) {
              const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(id);
              return m ? `pkg-${m[1]!.replace('/', '__')}` : undefined;
            },
          },
        }
      : undefined,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
