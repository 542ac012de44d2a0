// Vite builds the console into internal/console/dist, which the Go
// package console embeds. The output must be the same byte for byte on
// every machine (scripts/console-check.sh compares it with the committed
// copy): relative URLs, no source maps, content-hashed names.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

/** The packages bundled into the console, whose licenses travel with it. */
const bundled = ['cytoscape', 'cytoscape-fcose', 'cose-base', 'layout-base'];

/**
 * licenses writes licenses.txt beside the page: the minified bundle keeps
 * no comments, and the bundled packages' licenses ask for their notices.
 */
function licenses(): Plugin {
  return {
    name: 'assumed-licenses',
    generateBundle() {
      const text = bundled
        .map((pkg) => {
          const dir = fileURLToPath(new URL(`./node_modules/${pkg}/`, import.meta.url));
          const { version, license } = JSON.parse(readFileSync(`${dir}package.json`, 'utf8')) as { version: string; license: string };
          return `${pkg} ${version} (${license})\n\n${readFileSync(`${dir}LICENSE`, 'utf8').trim()}\n`;
        })
        .join('\n' + '-'.repeat(72) + '\n\n');
      this.emitFile({ type: 'asset', fileName: 'licenses.txt', source: `The assumed console bundles these packages.\n\n${text}` });
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [licenses()],
  build: {
    outDir: '../internal/console/dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
});
