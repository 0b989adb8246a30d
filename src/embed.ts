/**
 * The library build's entry: `npm run build` writes it as dist/pg-playground.js, one ES module
 * (styles are in the components, the CPU engine's worker is inlined), which defines
 * `<pg-playground>`. Copy that one file anywhere and load it with `<script type="module">`.
 */
import { PgPlayground } from './ui/pg-playground.ts';

PgPlayground.scriptUrl = import.meta.url;

export { PgPlayground };
