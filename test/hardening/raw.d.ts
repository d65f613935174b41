// Vite's `?raw` imports (a file's text), used by headers.test.ts for web/public/_headers.
declare module "*?raw" {
  const text: string;
  export default text;
}
