/**
 * Tables for what lives as long as one call (issue 16), in place of a long-lived Map or Set.
 *
 * A Map or Set appends every entry to its hash table and leaves a deleted one as a hole, so a table
 * that sees an entry come and go per call is rebuilt every few dozen calls. Once the table has been
 * moved to V8's old generation (a gateway's tables are, by their first load), each rebuilt one is
 * made there too, and the table it replaces keeps pointing at the entries it held until the next
 * full collection. To the scavenger those pointers are roots: every call that was in such a table
 * (its request, response, upstream exchange: the whole graph) survived the young-generation
 * collections and was promoted, 4-8 KiB per call, which cost the gateway a sixth of its CPU in GC
 * where a bare proxy spends 2%. A plain Node program shows it: 16 calls at a time through a Set that
 * was once promoted promote 2.6 MiB per scavenge; the same calls through CallSet, none.
 *
 * These two keep what a replaced table may still hold small and free of the call:
 * - CallMap: primitive keys to a one-field box, emptied when the entry is deleted;
 * - CallSet: objects in insertion order, as a linked list whose links are emptied when removed,
 *   found through a WeakMap (whose table the scavenger treats as weak).
 */

interface Box<V> {
  value: V | undefined;
}

/** A Map from ids (numbers or strings) to per-call values; delete() lets go of the value at once. */
export class CallMap<K extends string | number, V extends object | string | number | boolean> {
  private readonly map = new Map<K, Box<V>>();

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    const box = this.map.get(key);
    if (box !== undefined) box.value = value;
    else this.map.set(key, { value });
    return this;
  }

  delete(key: K): boolean {
    const box = this.map.get(key);
    if (box === undefined) return false;
    box.value = undefined;
    return this.map.delete(key);
  }

  clear(): void {
    for (const box of this.map.values()) box.value = undefined;
    this.map.clear();
  }

  /** The values in insertion order; deleting while iterating is safe (as with a Map). */
  *values(): IterableIterator<V> {
    for (const box of this.map.values()) if (box.value !== undefined) yield box.value;
  }
}

interface Link<K, V> {
  key: K | undefined;
  value: V | undefined;
  prev: Link<K, V> | undefined;
  next: Link<K, V> | undefined;
}

/**
 * Objects in insertion order, each with a value (a Set when V is left `true`): add at the back,
 * delete anywhere, oldest first. keys() and for...of go over a copy: the loop may add and delete,
 * and still visits an entry deleted during the loop (unlike a Set); drain with first() to see the
 * table as it is now.
 */
export class CallSet<K extends object, V extends object | string | number | boolean = true> {
  private readonly links = new WeakMap<K, Link<K, V>>();
  private head: Link<K, V> | undefined;
  private tail: Link<K, V> | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(key: K): boolean {
    return this.links.has(key);
  }

  get(key: K): V | undefined {
    return this.links.get(key)?.value;
  }

  /** The oldest entry, if any. */
  first(): K | undefined {
    return this.head?.key;
  }

  /** Adds `key` at the back, or sets the value of one already in (in its place). */
  add(key: K, value: V = true as V): this {
    const found = this.links.get(key);
    if (found !== undefined) {
      found.value = value;
      return this;
    }
    const link: Link<K, V> = { key, value, prev: this.tail, next: undefined };
    if (this.tail === undefined) this.head = link;
    else this.tail.next = link;
    this.tail = link;
    this.links.set(key, link);
    this.count++;
    return this;
  }

  delete(key: K): boolean {
    const link = this.links.get(key);
    if (link === undefined) return false;
    this.links.delete(key);
    this.unlink(link);
    return true;
  }

  clear(): void {
    for (let l = this.head; l !== undefined;) {
      const next = l.next;
      if (l.key !== undefined) this.links.delete(l.key);
      l.key = l.value = l.prev = l.next = undefined;
      l = next;
    }
    this.head = this.tail = undefined;
    this.count = 0;
  }

  /** The keys, oldest first (a copy). */
  keys(): K[] {
    const out: K[] = [];
    for (let l = this.head; l !== undefined; l = l.next) out.push(l.key!);
    return out;
  }

  /** [key, value] pairs, oldest first (a copy). */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    const out: [K, V][] = [];
    for (let l = this.head; l !== undefined; l = l.next) out.push([l.key!, l.value!]);
    return out[Symbol.iterator]();
  }

  private unlink(link: Link<K, V>): void {
    if (link.prev === undefined) this.head = link.next;
    else link.prev.next = link.next;
    if (link.next === undefined) this.tail = link.prev;
    else link.next.prev = link.prev;
    // An emptied link holds nothing, wherever it was promoted to.
    link.key = link.value = link.prev = link.next = undefined;
    this.count--;
  }
}
