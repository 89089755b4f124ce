package gwlog

import "time"

// resolveTime completes an event's wall-clock time with the parts its stamp
// lacks, taken from ref (the capture's first packet): the year of a syslog
// or charon stamp, the date of a charon "%T" stamp. Year-less stamps more
// than half a year from ref are moved to the neighbouring year (a log of
// late December read with a capture of early January).
func resolveTime(e *Event, ref time.Time) (time.Time, bool) {
	if !e.HasTime {
		return time.Time{}, false
	}
	t := e.Time
	loc := t.Location()
	switch {
	case e.HasYear:
		return t, true
	case e.HasDate:
		r := time.Date(ref.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
		if d := r.Sub(ref); d > 183*24*time.Hour {
			r = r.AddDate(-1, 0, 0)
		} else if d < -183*24*time.Hour {
			r = r.AddDate(1, 0, 0)
		}
		return r, true
	}
	return time.Date(ref.Year(), ref.Month(), ref.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc), true
}

// wrapDay brings an offset computed from a date-less stamp into
// [-12h, 12h): such a stamp is known only modulo a day.
func wrapDay(d time.Duration) time.Duration {
	const day = 24 * time.Hour
	d %= day
	if d >= day/2 {
		d -= day
	} else if d < -day/2 {
		d += day
	}
	return d
}
