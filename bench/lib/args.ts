/**
 * Command-line flags of the benchmarks: `--name value`. Every size has the
 * issue's figure as its default, so a bare command measures the real target and
 * a short validation run passes smaller values.
 */
export function num(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number, got ${process.argv[i + 1]}`);
  return v;
}

export function str(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : (process.argv[i + 1] ?? def);
}

export function has(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
