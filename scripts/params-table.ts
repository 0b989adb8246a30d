/** Prints the README's parameter table (Markdown) from the schema: `npx tsx scripts/params-table.ts`. */
import { paramsTableMarkdown } from '../src/cli/params-table.ts';

process.stdout.write(`${paramsTableMarkdown()}\n`);
