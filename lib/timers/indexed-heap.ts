/** An element that knows its own position in an `IndexedHeap` (-1 when not in one). */
export interface HeapElement {
  heapIndex: number
}

/**
 * A binary min-heap whose elements record their position, so that removing or re-positioning
 * an arbitrary element is O(log n) instead of a linear search.
 */
export class IndexedHeap<T extends HeapElement> {
  private readonly items: T[] = []

  /** `precedes(a, b)`: whether `a` comes out before `b`; must be a strict total order. */
  constructor(private readonly precedes: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    item.heapIndex = this.items.length
    this.items.push(item)
    this.siftUp(item.heapIndex)
  }

  pop(): T | undefined {
    const top = this.items[0]
    if (top !== undefined) this.remove(top)
    return top
  }

  remove(item: T): void {
    const items = this.items
    const at = item.heapIndex
    const last = items.pop()!
    item.heapIndex = -1
    if (last === item) return
    items[at] = last
    last.heapIndex = at
    this.update(last)
  }

  /** Restores the order after `item`'s priority changed. */
  update(item: T): void {
    if (!this.siftUp(item.heapIndex)) this.siftDown(item.heapIndex)
  }

  /** Moves the element at `at` up while it precedes its parent; whether it moved. */
  private siftUp(at: number): boolean {
    const items = this.items
    const item = items[at]!
    const start = at
    while (at > 0) {
      const parentAt = (at - 1) >> 1
      const parent = items[parentAt]!
      if (!this.precedes(item, parent)) break
      items[at] = parent
      parent.heapIndex = at
      at = parentAt
    }
    items[at] = item
    item.heapIndex = at
    return at !== start
  }

  private siftDown(at: number): void {
    const items = this.items
    const length = items.length
    const item = items[at]!
    for (;;) {
      let childAt = 2 * at + 1
      if (childAt >= length) break
      const right = childAt + 1
      if (right < length && this.precedes(items[right]!, items[childAt]!)) childAt = right
      const child = items[childAt]!
      if (!this.precedes(child, item)) break
      items[at] = child
      child.heapIndex = at
      at = childAt
    }
    items[at] = item
    item.heapIndex = at
  }
}
