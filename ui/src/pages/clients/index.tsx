/** Placeholder until this page is built. */
export function ClientList() { return <section><h1>ClientList</h1><p>Not built yet.</p></section>; }
export function ClientEdit() { return <section><h1>ClientEdit</h1><p>Not built yet.</p></section>; }
