/** Placeholder until this page is built. */
export function RestorePage() { return <section><h1>RestorePage</h1><p>Not built yet.</p></section>; }
