// A node:test reporter for scripts/run-tests.mjs: how long each test file's tests took (the sum of its top-level
// tests, in milliseconds), as one JSON object by file path, so that the next run can start the slowest files first.
export default async function* durations(source) {
  const byFile = {};
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { file, nesting, details } = event.data;
    if (!file || nesting !== 0) continue;
    byFile[file] = (byFile[file] ?? 0) + (details?.duration_ms ?? 0);
  }
  yield JSON.stringify(byFile);
}
