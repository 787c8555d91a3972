/** Placeholder until this page is built. */
export function RepositoryList() { return <section><h1>RepositoryList</h1><p>Not built yet.</p></section>; }
export function RepositoryEdit() { return <section><h1>RepositoryEdit</h1><p>Not built yet.</p></section>; }
