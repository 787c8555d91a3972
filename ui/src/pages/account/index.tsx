/** Placeholder until this page is built. */
export function ProfilePage() { return <section><h1>ProfilePage</h1><p>Not built yet.</p></section>; }
export function TokensPage() { return <section><h1>TokensPage</h1><p>Not built yet.</p></section>; }
