/** Placeholder until this page is built. */
export function JobList() { return <section><h1>JobList</h1><p>Not built yet.</p></section>; }
export function JobPage() { return <section><h1>JobPage</h1><p>Not built yet.</p></section>; }
