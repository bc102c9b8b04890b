/**
 * Binary min-heap on a numeric `t`: the open attempts, ordered by when their next event is due.
 * Keys sit in their own packed array next to the items, so sifting through a heap of many
 * thousands of attempts (high rates) compares numbers without touching the objects.
 */
export class TimedHeap<T extends { t: number }> {
  private readonly items: T[] = [];
  private readonly keys: number[] = [];

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const { items, keys } = this;
    const t = item.t;
    let i = items.length;
    items.push(item);
    keys.push(t);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent] <= t) break;
      items[i] = items[parent];
      keys[i] = keys[parent];
      i = parent;
    }
    items[i] = item;
    keys[i] = t;
  }

  pop(): T | undefined {
    const { items, keys } = this;
    const top = items[0];
    const last = items.pop();
    const t = keys.pop();
    if (last === undefined || t === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && keys[right] < keys[left] ? right : left;
      if (keys[child] >= t) break;
      items[i] = items[child];
      keys[i] = keys[child];
      i = child;
    }
    items[i] = last;
    keys[i] = t;
    return top;
  }
}
