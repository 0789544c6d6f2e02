/** The dashboard's build: bundled once by scripts/setup.sh into dist/ui, served by `warden daemon`. */
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  build: { outDir: `${here}/../../dist/ui`, emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  logLevel: 'warn',
});
