/** Prints rows as a Markdown table, so the output pastes into the README as it is. */
export function table(header: string[], rows: string[][]) {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}
