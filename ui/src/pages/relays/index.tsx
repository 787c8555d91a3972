/** Placeholder until this page is built. */
export function RelayList() { return <section><h1>RelayList</h1><p>Not built yet.</p></section>; }
export function RelayEdit() { return <section><h1>RelayEdit</h1><p>Not built yet.</p></section>; }
