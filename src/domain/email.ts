/**
 * The form under which two spellings of one e-mail address are the same address: Unicode
 * compatibility forms folded (a full-width `ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ` is `ada@example.com`), surrounding
 * space trimmed, lower case, and the domain's trailing dot dropped (`example.com.` is the same
 * fully qualified name as `example.com`). Customers match on it and users sign in with it.
 * Local parts stay case-folded too: no mail system our users meet treats `Ada@` and `ada@` apart.
 */
export function canonicalEmail(email: string): string {
  return tidyEmail(email).toLowerCase();
}

/**
 * The address as it is kept and shown: compatibility forms folded, surrounding space and the
 * domain's trailing dot dropped, its case as given (`Ada@Example.com`).
 */
export function tidyEmail(email: string): string {
  return email
    .normalize('NFKC')
    .replace(/[\s.]+$/, '')
    .trim();
}
