package routing

// heapItem is an element of an indexed binary heap: it knows its order and
// is told its index, so it can be removed or re-sorted in O(log n).
type heapItem[T any] interface {
	before(T) bool
	setHeapIndex(int)
}

// iheap is a min-heap of T that keeps every element's index current.
type iheap[T heapItem[T]] []T

func (h iheap[T]) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].setHeapIndex(i)
	h[j].setHeapIndex(j)
}

func (h iheap[T]) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h[j].before(h[i]) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h iheap[T]) down(i int) bool {
	i0, n := i, len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h[r].before(h[l]) {
			j = r
		}
		if !h[j].before(h[i]) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

func (h *iheap[T]) push(x T) {
	*h = append(*h, x)
	x.setHeapIndex(len(*h) - 1)
	h.up(len(*h) - 1)
}

// remove takes out the element at index i.
func (h *iheap[T]) remove(i int) {
	old := *h
	n := len(old) - 1
	x := old[i]
	if i != n {
		old.swap(i, n)
	}
	var zero T
	old[n] = zero
	*h = old[:n]
	if i != n && !(*h).down(i) {
		(*h).up(i)
	}
	x.setHeapIndex(-1)
}

// fix restores order after the element at i changed its key.
func (h iheap[T]) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}
