//! Charts for the HTML reports, as inline SVG (the report must open anywhere, offline,
//! with nothing to fetch): stacked vertical bars (a series per category over time) and
//! horizontal bars (a ranking). Every label is escaped.

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// A round upper bound for an axis.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

/// Stacked bars: one bar per label, one segment per series (name, colour, values).
pub fn stacked_bars(
    title: &str,
    labels: &[String],
    series: &[(&str, &str, Vec<f64>)],
    unit: &str,
) -> String {
    let (w, h, left, bottom, top) = (720.0, 240.0, 44.0, 46.0, 28.0);
    let n = labels.len().max(1) as f64;
    let totals: Vec<f64> = (0..labels.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.2.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let max = nice_max(totals.iter().cloned().fold(0.0, f64::max));
    let plot_h = h - bottom - top;
    let bw = (w - left - 10.0) / n;
    let mut o = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}">"#,
        esc(title)
    );
    // Whole-number steps for small counts (no "0.5 incidents").
    let steps = if max <= 4.0 { (max as usize).max(1) } else { 4 };
    for k in 0..=steps {
        let v = max * k as f64 / steps as f64;
        let y = top + plot_h - plot_h * k as f64 / steps as f64;
        o.push_str(&format!(
            r##"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#e3e7ec"/><text x="{}" y="{:.1}" text-anchor="end" class="ax">{}</text>"##,
            w - 10.0,
            left - 6.0,
            y + 4.0,
            fmt_num(v)
        ));
    }
    for (i, label) in labels.iter().enumerate() {
        let x = left + bw * i as f64;
        let mut y = top + plot_h;
        for (name, colour, values) in series {
            let v = values.get(i).copied().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let bh = plot_h * v / max;
            y -= bh;
            o.push_str(&format!(
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}" fill="{colour}"><title>{}: {} {}{}</title></rect>"#,
                x + bw * 0.15,
                (bw * 0.7).max(1.0),
                esc(label),
                fmt_num(v),
                esc(name),
                if unit.is_empty() { String::new() } else { format!(" {unit}") }
            ));
        }
        if totals[i] > 0.0 {
            o.push_str(&format!(
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="val">{}</text>"#,
                x + bw / 2.0,
                y - 4.0,
                fmt_num(totals[i])
            ));
        }
        // Labels under every bar while they fit, else every few.
        let every = ((n / 16.0).ceil() as usize).max(1);
        if i % every == 0 {
            o.push_str(&format!(
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="ax">{}</text>"#,
                x + bw / 2.0,
                top + plot_h + 16.0,
                esc(label)
            ));
        }
    }
    // Legend.
    let mut lx = left;
    for (name, colour, _) in series {
        o.push_str(&format!(
            r#"<rect x="{lx:.1}" y="{:.1}" width="10" height="10" fill="{colour}"/><text x="{:.1}" y="{:.1}" class="ax">{}</text>"#,
            h - 14.0,
            lx + 14.0,
            h - 5.0,
            esc(name)
        ));
        lx += 22.0 + 7.0 * name.chars().count() as f64;
    }
    o.push_str("</svg>");
    o
}

/// Horizontal bars, largest first: (label, value, note shown after the value).
pub fn hbars(
    title: &str,
    rows: &[(String, f64, String)],
    colour: &str,
    fmt: fn(f64) -> String,
) -> String {
    let row_h = 24.0;
    let (w, label_w) = (720.0, 260.0);
    let h = row_h * rows.len().max(1) as f64 + 10.0;
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max).max(1e-9);
    let mut o = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}">"#,
        esc(title)
    );
    for (i, (label, v, note)) in rows.iter().enumerate() {
        let y = 5.0 + row_h * i as f64;
        let bw = (w - label_w - 250.0) * v / max;
        let shown: String = if label.chars().count() > 38 {
            format!("{}…", label.chars().take(37).collect::<String>())
        } else {
            label.clone()
        };
        o.push_str(&format!(
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" class="lbl"><title>{}</title>{}</text><rect x="{label_w}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"/><text x="{:.1}" y="{:.1}" class="val">{} {}</text>"#,
            label_w - 8.0,
            y + 15.0,
            esc(label),
            esc(&shown),
            y + 3.0,
            bw.max(1.0),
            row_h - 8.0,
            label_w + bw + 6.0,
            y + 15.0,
            esc(&fmt(*v)),
            esc(note)
        ));
    }
    o.push_str("</svg>");
    o
}

/// A count as text (no decimals for whole numbers).
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Bytes as text (binary units).
pub fn fmt_bytes(v: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = v;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_and_scale() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(11.0), 20.0);
        assert_eq!(nice_max(0.0), 1.0);
        let s = stacked_bars(
            "t",
            &["03-12".into(), "03-13".into()],
            &[
                ("high", "#c00", vec![1.0, 2.0]),
                ("low", "#00c", vec![0.0, 1.0]),
            ],
            "incidents",
        );
        assert!(s.starts_with("<svg"));
        assert_eq!(s.matches("<rect").count(), 3 + 2);
        assert!(s.contains(">3</text>"));
        let b = hbars("t", &[("<evil>".into(), 5.0, "x".into())], "#333", fmt_num);
        assert!(b.contains("&lt;evil&gt;") && !b.contains("<evil>"));
        assert_eq!(fmt_bytes(31.2 * 1048576.0), "31.2 MiB");
    }
}
