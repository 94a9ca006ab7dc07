// Builds the pages into the build tree (CONCORD_WEB_OUT, default ../build/web/pages), where
// `concord serve` serves them: index.html at /, the hashed assets under /ui/.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/ui/",
  build: {
    outDir: process.env.CONCORD_WEB_OUT ?? "../build/web/pages",
    emptyOutDir: true,
    // No inline script or style anywhere (the Content-Security-Policy forbids them).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
