/** Placeholder until this page is built. */
export function UserList() { return <section><h1>UserList</h1><p>Not built yet.</p></section>; }
export function UserEdit() { return <section><h1>UserEdit</h1><p>Not built yet.</p></section>; }
