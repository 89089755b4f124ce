package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

// keyMap declares every key binding once: Update matches keys against it,
// and the help overlay and the footer are rendered from it, so a key and
// its description cannot drift apart.
type keyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	Mouse                                   key.Binding // help only: the wheel comes as mouse events
	NextPane, PrevPane                      key.Binding
	Open, Back, Filter                      key.Binding
	NextFailure, PrevFailure                key.Binding
	NextCapture, PrevCapture                key.Binding // in a message's details, over several captures
	Help, Quit                              key.Binding
	// Close closes the details (esc, enter, backspace, h, left).
	Close key.Binding
	// FilterKeep and FilterClear end the filter's input.
	FilterKeep, FilterClear key.Binding
}

// bindings is the one key map of the UI.
var bindings = keyMap{
	Up:          key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑ / k", "move up")),
	Down:        key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓ / j", "move down")),
	Top:         key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g / home", "first row")),
	Bottom:      key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G / end", "last row")),
	PageUp:      key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup / ctrl+u", "page up")),
	PageDown:    key.NewBinding(key.WithKeys("pgdown", "ctrl+d", " "), key.WithHelp("pgdown / ctrl+d / space", "page down")),
	Mouse:       key.NewBinding(key.WithKeys(), key.WithHelp("mouse wheel", "scroll the focused pane")),
	NextPane:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab / shift+tab", "next / previous pane (Tunnels, Timeline, Findings)")),
	PrevPane:    key.NewBinding(key.WithKeys("shift+tab")),
	Open:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "tunnel: timeline; message: details; finding: evidence")),
	Back:        key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close details, clear the filter")),
	Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter: address, SPI/cookie, exchange, notify, code")),
	NextFailure: key.NewBinding(key.WithKeys("n"), key.WithHelp("n / N", "next / previous failure point")),
	PrevFailure: key.NewBinding(key.WithKeys("N")),
	NextCapture: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab (in details)", "the same message as seen at the next capture")),
	PrevCapture: key.NewBinding(key.WithKeys("shift+tab")),
	Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "this help")),
	Quit:        key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q / ctrl+c", "quit")),
	Close:       key.NewBinding(key.WithKeys("esc", "enter", "backspace", "h", "left")),
	FilterKeep:  key.NewBinding(key.WithKeys("enter")),
	FilterClear: key.NewBinding(key.WithKeys("esc")),
}

// helpBindings are the bindings the help overlay lists, in its order.
func (k keyMap) helpBindings(multi bool) []key.Binding {
	b := []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown, k.Mouse, k.NextPane,
		k.Open, k.Back, k.Filter, k.NextFailure, k.Help, k.Quit}
	if multi {
		b = append(b, k.NextCapture)
	}
	return b
}

// Short bindings of the footer, by what is on the screen: the key map's
// bindings with the footer's shorter wording ("j/k move").
var (
	footMain = []key.Binding{
		short(bindings.Quit, "q", "quit"), short(bindings.Help, "?", "help"), short(bindings.NextPane, "tab", "pane"),
		short(bindings.Down, "j/k", "move"), short(bindings.Open, "enter", "open"), short(bindings.Filter, "/", "filter"),
		short(bindings.NextFailure, "n/N", "failure"),
	}
	footDetail = []key.Binding{
		short(bindings.Back, "esc", "back"), short(bindings.Down, "j/k", "scroll"), short(bindings.Quit, "q", "quit"), short(bindings.Help, "?", "help"),
	}
	footDetailCaptures = []key.Binding{
		short(bindings.Back, "esc", "back"), short(bindings.Down, "j/k", "scroll"), short(bindings.NextCapture, "tab", "next capture"),
		short(bindings.Quit, "q", "quit"), short(bindings.Help, "?", "help"),
	}
	footHelp = []key.Binding{
		short(bindings.Down, "j/k", "scroll"), key.NewBinding(key.WithKeys("any"), key.WithHelp("any other key", "closes the help")),
	}
)

// short is a binding with the footer's wording.
func short(b key.Binding, k, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(k, desc))
}

// footerHelp renders a footer's bindings with bubbles' help, unstyled:
// the footer paints the line itself.
func footerHelp(b []key.Binding) string {
	h := help.New()
	plain := lipgloss.NewStyle()
	h.Styles = help.Styles{ShortKey: plain, ShortDesc: plain, ShortSeparator: plain, Ellipsis: plain,
		FullKey: plain, FullDesc: plain, FullSeparator: plain}
	h.ShortSeparator = "  "
	return h.ShortHelpView(b)
}
