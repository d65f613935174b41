// Commands out of Markdown documents, for tests that run them as written (issue 16).

/**
 * The ```sh / ```bash blocks of one section: from the heading line `heading` (exact text) to the next
 * heading of the same or a higher level. Comment-only lines stay (bash ignores them).
 */
export function shellBlocks(markdown, heading) {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const m = /^(#+)\s/.exec(lines[i]);
    if (m && m[1].length <= level) {
      end = i;
      break;
    }
  }
  const blocks = [];
  let current = null;
  for (const line of lines.slice(start + 1, end)) {
    const fence = /^\s*```(\w*)\s*$/.exec(line);
    if (fence && current === null) current = ["sh", "bash", "shell"].includes(fence[1]) ? [] : false;
    else if (fence) {
      if (current) blocks.push(current.join("\n"));
      current = null;
    } else if (current) current.push(line);
  }
  return blocks;
}
