// Svelte compiler options: runes mode everywhere (Svelte 5).
export default { compilerOptions: { runes: true } };
