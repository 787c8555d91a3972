/** Placeholder until this page is built. */
export function PolicyList() { return <section><h1>PolicyList</h1><p>Not built yet.</p></section>; }
export function PolicyEdit() { return <section><h1>PolicyEdit</h1><p>Not built yet.</p></section>; }
