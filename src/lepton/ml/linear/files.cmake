# Linear learners: logistic regression (L2 / L1 / elastic net, OWL-QN), linear regression
# (OLS / ridge), the credit scorecard on top of a WOE logistic model, and shared weights.
list(APPEND ML_HDRS
  linear/weights.h
  linear/logistic.h
  linear/linear_regression.h
  linear/scorecard.h
  linear/internal/linear_model.h
  linear/internal/owlqn.h)
list(APPEND ML_SRCS
  linear/weights.cc
  linear/logistic.cc
  linear/linear_regression.cc
  linear/scorecard.cc
  linear/internal/linear_model.cc
  linear/internal/owlqn.cc)
