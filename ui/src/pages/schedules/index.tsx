/** Placeholder until this page is built. */
export function ScheduleList() { return <section><h1>ScheduleList</h1><p>Not built yet.</p></section>; }
export function ScheduleEdit() { return <section><h1>ScheduleEdit</h1><p>Not built yet.</p></section>; }
