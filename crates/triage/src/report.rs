//! Classification metrics of one label (accuracy, per-class precision/recall/F1, macro-F1,
//! confusion matrix) and their rendering as a text table.

use std::fmt::Write as _;

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassReport {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// How many messages truly have this label.
    pub support: usize,
    /// How many messages were given this label.
    pub predicted: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LabelReport {
    /// `lang`, `sentiment`, `sentiment[fr]`, `emotion`, `toxic`, `intent`, `author_kind`…
    pub name: String,
    pub count: usize,
    pub correct: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// For `toxic`: F1 of the class `true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positive_f1: Option<f64>,
    pub classes: Vec<ClassReport>,
    /// `confusion[i][j]`: messages of true label `labels[i]` predicted as `labels[j]`.
    pub labels: Vec<String>,
    pub confusion: Vec<Vec<usize>>,
}

/// Accumulates (truth, prediction) pairs for one label.
pub struct Tally {
    name: String,
    labels: Vec<&'static str>,
    confusion: Vec<Vec<usize>>,
}

impl Tally {
    pub fn new(name: &str, labels: &[&'static str]) -> Tally {
        Tally {
            name: name.to_string(),
            labels: labels.to_vec(),
            confusion: vec![vec![0; labels.len()]; labels.len()],
        }
    }

    pub fn add(&mut self, truth: &str, predicted: &str) {
        let (Some(i), Some(j)) = (self.index(truth), self.index(predicted)) else {
            return;
        };
        if let Some(cell) = self.confusion.get_mut(i).and_then(|row| row.get_mut(j)) {
            *cell += 1;
        }
    }

    fn index(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| *l == label)
    }

    pub fn report(&self) -> LabelReport {
        let n = self.labels.len();
        let cell = |i: usize, j: usize| {
            self.confusion
                .get(i)
                .and_then(|r| r.get(j))
                .copied()
                .unwrap_or(0)
        };
        let count: usize = self.confusion.iter().flatten().sum();
        let correct: usize = (0..n).map(|i| cell(i, i)).sum();
        let mut classes = Vec::with_capacity(n);
        for (i, label) in self.labels.iter().enumerate() {
            let tp = cell(i, i) as f64;
            let support: usize = (0..n).map(|j| cell(i, j)).sum();
            let predicted: usize = (0..n).map(|j| cell(j, i)).sum();
            let precision = if predicted > 0 {
                tp / predicted as f64
            } else {
                0.0
            };
            let recall = if support > 0 {
                tp / support as f64
            } else {
                0.0
            };
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            classes.push(ClassReport {
                label: label.to_string(),
                precision,
                recall,
                f1,
                support,
                predicted,
            });
        }
        // Macro-F1 over the classes present in the truth or the predictions.
        let seen: Vec<&ClassReport> = classes
            .iter()
            .filter(|c| c.support > 0 || c.predicted > 0)
            .collect();
        let macro_f1 = if seen.is_empty() {
            0.0
        } else {
            seen.iter().map(|c| c.f1).sum::<f64>() / seen.len() as f64
        };
        let positive_f1 = if self.labels == ["true", "false"] {
            classes.first().map(|c| c.f1)
        } else {
            None
        };
        LabelReport {
            name: self.name.clone(),
            count,
            correct,
            accuracy: if count > 0 {
                correct as f64 / count as f64
            } else {
                0.0
            },
            macro_f1,
            positive_f1,
            classes,
            labels: self.labels.iter().map(|l| l.to_string()).collect(),
            confusion: self.confusion.clone(),
        }
    }
}

impl LabelReport {
    pub fn class(&self, label: &str) -> Option<&ClassReport> {
        self.classes.iter().find(|c| c.label == label)
    }

    /// A human-readable block: summary line, per-class table, confusion matrix.
    pub fn render(&self, out: &mut String) {
        let _ = write!(
            out,
            "== {} ({} messages): accuracy {:.3}, macro-F1 {:.3}",
            self.name, self.count, self.accuracy, self.macro_f1
        );
        if let Some(f) = self.positive_f1 {
            let _ = write!(out, ", F1(true) {f:.3}");
        }
        out.push('\n');
        let _ = writeln!(
            out,
            "  {:<16} {:>9} {:>7} {:>6} {:>8}",
            "class", "precision", "recall", "F1", "support"
        );
        for c in &self.classes {
            let _ = writeln!(
                out,
                "  {:<16} {:>9.3} {:>7.3} {:>6.3} {:>8}",
                c.label, c.precision, c.recall, c.f1, c.support
            );
        }
        let short = |l: &str| l.chars().take(7).collect::<String>();
        let _ = write!(out, "  {:<16}", "truth \\ pred");
        for l in &self.labels {
            let _ = write!(out, " {:>7}", short(l));
        }
        out.push('\n');
        for (l, row) in self.labels.iter().zip(&self.confusion) {
            let _ = write!(out, "  {l:<16}");
            for v in row {
                let _ = write!(out, " {v:>7}");
            }
            out.push('\n');
        }
        out.push('\n');
    }
}
