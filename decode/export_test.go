package decode

// WalkOnly makes d decode every frame by the general walk, plain ESP too.
func WalkOnly(d *Decoder) { d.walkOnly = true }
