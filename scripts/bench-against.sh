#!/usr/bin/env bash
# The benchmark of this working tree against another commit, interleaved: each round runs REV's
# bench and this tree's, each over all variants, and the table gives each variant's median
# over the rounds for both and their ratio. A refactor that claims to cost nothing shows it here.
#   bash scripts/bench-against.sh REV [--rounds R] [bench flags, e.g. --agents 100000 --seconds 2]
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: bash scripts/bench-against.sh REV [--rounds R] [bench flags]}
shift
rounds=3
if [ "${1:-}" = --rounds ]; then rounds=${2:?--rounds needs a number}; shift 2; fi
export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/lib/chromium/vk_swiftshader_icd.json}

work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/base" "$rev" >/dev/null
ln -s "$PWD/node_modules" "$work/base/node_modules"

for round in $(seq 1 "$rounds"); do
  # Odd rounds run REV first, even rounds this tree: whichever runs first does not always gain.
  order="base this"; [ $((round % 2)) = 0 ] && order="this base"
  for kit in $order; do
    dir=$PWD; [ $kit = base ] && dir=$work/base
    echo "bench-against: round $round of $rounds, $kit" >&2
    # Only the engine rows are compared: skip the other sections where that bench has them.
    only=(); (cd "$dir" && npx tsx bench/run.ts --help | grep -q -- --sections) && only=(--sections engines)
    (cd "$dir" && npx tsx bench/run.ts "$@" "${only[@]}" --json "$work/$kit-$round.jsonl" >/dev/null)
  done
done

node - "$work" "$rev" <<'JS'
const fs = require('node:fs');
const [dir, rev] = process.argv.slice(2);
const rates = { base: new Map(), this: new Map() };
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
  const kit = file.startsWith('base') ? 'base' : 'this';
  for (const line of fs.readFileSync(`${dir}/${file}`, 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(line);
    if (r.agentStepsPerSec === undefined) continue; // the lab's and the algorithms' rows: not compared here
    const name = `${r.engine} N=${r.agents}` + (r.statsEvery > 0 ? ` stats every ${r.statsEvery}${r.statsEvery > 1 ? ` (${r.windowStats})` : ''}` : '');
    if (!rates[kit].has(name)) rates[kit].set(name, []);
    rates[kit].get(name).push(r.agentStepsPerSec);
  }
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const range = (a) => `${(Math.min(...a) / 1e6).toFixed(2)}-${(Math.max(...a) / 1e6).toFixed(2)}M`;
console.log(`variant | ${rev} median (range) | this tree median (range) | this / ${rev}`);
for (const [name, base] of rates.base) {
  const mine = rates.this.get(name) ?? [];
  if (mine.length === 0) continue;
  console.log(`${name} | ${(median(base) / 1e6).toFixed(3)}M (${range(base)}) | ${(median(mine) / 1e6).toFixed(3)}M (${range(mine)}) | ${(median(mine) / median(base)).toFixed(3)}`);
}
JS
