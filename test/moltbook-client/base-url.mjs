// Loaded with `node --import` into the third-party client's process (issue 20): the one change made to
// moltbook-http-mcp, its base URL. The package hard-codes https://www.moltbook.com/api/v1 (dist/moltbook/
// moltbook.config.js) and fetches with the global fetch, so the prefix is rewritten to
// MOLTBOOK_BASE_URL_OVERRIDE; every path, header and body is the package's own, unmodified.
const FROM = "https://www.moltbook.com/api/v1";
const TO = process.env.MOLTBOOK_BASE_URL_OVERRIDE;
if (TO) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    if (typeof input === "string" && input.startsWith(FROM)) return realFetch(TO + input.slice(FROM.length), init);
    return realFetch(input, init);
  };
}
