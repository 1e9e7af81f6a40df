# 委案与撤案。
placements-title = 委案
placements-empty = 没有符合条件的委案。分案会委托账户；清除筛选条件可查看全部。
placements-choose = 选择
placements-choose-one = 选择委案 { $id }
placements-due-soon = { $day }（即将退案）
placements-due-by = 退案日期不晚于
placements-preview-recall = 预览撤回所选委案
placements-recall-title = 撤回委案
placements-choose-between = 请选择 1 到 { $most } 个在催委案进行撤回。
placements-will-recall = 将撤回以下 { $count } 个在催委案，并立即通知各机构。
placements-none-active = 所选委案均已不在催。
placements-reason = 原因（机构可见）
placements-recall = 撤回
placements-recalled = 已撤回 { $count } 个委案。
placements-back = ← 返回委案
placement-status = 状态
placement-placed = 委案日期
