package tui

import (
	"io"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// Run shows the UI for a run on a terminal until the user quits, and
// returns the last snapshot (complete if the reader reached the end).
func Run(run *pipeline.Run, opt Options, in io.Reader, out io.Writer) (*pipeline.Result, error) {
	m := New(run, opt)
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithInput(in), tea.WithOutput(out))
	if _, err := p.Run(); err != nil {
		return m.Result(), err
	}
	return m.Result(), nil
}
