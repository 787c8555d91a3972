/** Placeholder until this page is built. */
export function SettingsPage() { return <section><h1>SettingsPage</h1><p>Not built yet.</p></section>; }
