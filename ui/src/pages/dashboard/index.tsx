/** Placeholder until this page is built. */
export function Dashboard() { return <section><h1>Dashboard</h1><p>Not built yet.</p></section>; }
