/** Shown while the dashboard's queries run (they take well under a second on a busy month). */
export default function Loading() {
  return (
    <main className="mx-auto grid max-w-7xl gap-6 p-4 md:p-8" aria-busy="true">
      <h1 className="text-2xl font-semibold">Costs</h1>
      <p className="text-sm text-muted-foreground" role="status">
        Adding up this period&apos;s conversations…
      </p>
      <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
        {[0, 1, 2, 3].map((i) => (
          <div key={i} className="h-32 animate-pulse rounded-xl border bg-muted/40" />
        ))}
      </div>
      <div className="h-80 animate-pulse rounded-xl border bg-muted/40" />
    </main>
  );
}
